"""Image quality: how SR results are scored and against what.

- :mod:`~srgan.quality.metrics`: full-reference metrics (PSNR/SSIM) with the SR literature's protocol.
- :mod:`~srgan.quality.niqe`: NIQE, the no-reference Natural Image Quality Evaluator.
- :mod:`~srgan.quality.peers`: peer x4 models (OpenCV ``dnn_superres``) to compare with.
- :mod:`~srgan.quality.suites`: folders and benchmark suites: methods x sets -> results.
"""
