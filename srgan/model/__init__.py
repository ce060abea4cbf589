"""The model: the networks and the files and graphs made from their weights.

- :mod:`~srgan.model.models`: the SRResNet/SRGAN generator and the discriminator (Keras), and the
  generator's inference layout.
- :mod:`~srgan.model.kernels`: the fixed bicubic and rewritten tail kernels (plain NumPy), shared by
  the Keras model and the ONNX graph.
- :mod:`~srgan.model.weights_file`: a ``.weights.h5`` file checked against the architecture and read
  without Keras.
- :mod:`~srgan.model.onnx_export`: the generator's ONNX graph, written by code from its weights.
- :mod:`~srgan.model.export`: the TensorFlow SavedModel export for serving.

Nothing is imported here: ``weights_file``, ``kernels`` and ``onnx_export`` stay free of TensorFlow
and Keras (the CLI's upscale path and the dashboard's server never import them).
"""
