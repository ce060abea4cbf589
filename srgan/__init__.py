"""SRGAN Studio: SRResNet / SRGAN x4 super-resolution (Ledig et al., CVPR 2017) in Keras 3.

Importing this package is cheap: TensorFlow/Keras are only imported by the modules
that need them (``model.models``, ``training.losses``, ``training.vgg``, ``training.loop``, the
``keras`` engine).
"""

__version__ = "0.1.0"

SCALE = 4  # the paper's (and this project's) upscaling factor
