"""Credit: government and social credit records with objections and repair."""
