"""The LAN inference server: Flask API, web page, try-on pipeline."""
import os

# The pipeline's numpy work is on small arrays, where OpenBLAS hands work between threads for longer than
# the work takes (measured in preprocessing on the 2-core box); torch keeps its own thread pool. Must be
# set before numpy loads, so it lives here, the first module of every server entry point.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
