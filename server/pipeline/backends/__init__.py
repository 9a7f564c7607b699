"""Try-on backends: each turns (PersonAnalysis, GarmentAnalysis) into a TryOnResult."""
