"""The users' restoration, a library below the commands: denoising a user's own image (an array or
files) with the model the study's catalogue and noise-level rule choose, in tiles; JPEG deblocking and
upscaling with DnCNN-3.

- ``tiling``: any image size in tiles, equal to whole-image inference;
- ``models``: the model for a user's image (by key, by a known sigma, weights files, colour);
- ``rule``: estimating sigma and the noise-level study's rule (``noise_levels_rule.csv``);
- ``files``: reading a user's image files, checking outputs, denoising files and folders;
- ``tasks``: DnCNN-3 on a user's files (deblock, upscale);
- ``clean_photos``: the default path on clean photographs (what notebook 06 checks);
- ``api``: :func:`dncnn.denoise`, the one-line call on an array.

``python -m dncnn denoise``, ``deblock``, ``upscale`` and ``noise-levels`` (``dncnn.commands``) call it.
"""
