"""Assignment 5's corpus, part search (joined by a5_practice.py).  STUB: the
helper of this part fills it (see tests/variants/_a4_dropout.py)."""
CORRECT = {}
WRONG = {}
BASE = {}
DIFFERENT = {}
SAMPLES = []
