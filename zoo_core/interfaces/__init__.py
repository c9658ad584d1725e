"""The interfaces every architecture plugin implements or uses (these import torch)."""
