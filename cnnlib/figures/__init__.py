"""Topic pictures for the notebooks, one module per notebook topic, built on `cnnlib.plot`."""
