"""The garment catalog: product photos in a folder, masks and thumbnails cached by content hash."""
