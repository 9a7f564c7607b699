"""The try-on pipeline: preprocessing stages (pose, parsing, garment mask) feeding a try-on backend.

Nothing here imports Flask; the API calls into this package and turns its errors into HTTP answers.
"""
