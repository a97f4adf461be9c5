"""The five services. Services never import each other, only ``shared``."""
