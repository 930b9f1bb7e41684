"""DnCNN study."""
