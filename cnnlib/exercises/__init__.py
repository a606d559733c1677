"""Exercise checkers: run a learner's function on named cases and say, specifically,
what is wrong (which case, expected vs got, and a hint naming the likely mistake).

One module per notebook topic; `checker` holds the shared machinery.
"""
