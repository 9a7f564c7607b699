"""Training the project's own networks on a CPU (the learned parser; later the try-on stages).

Each stage is one resumable command, e.g. `python -m server.train.parser`. Training data is read in place
(VITON: non-commercial research data, never copied into the repository); see docs/training.md.
"""
