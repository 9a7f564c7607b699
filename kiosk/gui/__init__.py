"""The touchscreen app: a state machine (`states`, `flow`) drawn by a fullscreen Tk canvas (`app`)."""
