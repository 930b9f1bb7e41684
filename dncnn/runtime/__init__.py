"""What a run needs from the machine it runs on: the device description (``device``) and progress bars (``progress``)."""
