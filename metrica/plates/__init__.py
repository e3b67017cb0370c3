"""Reading licence plates: vehicles → plate text boxes → OCR → scored, normalised plates.

A sibling of `metrica.vision` (it reuses its detector and tracker) and below the
commands; pure rules (templates, scoring, voting) live in modules that import no I/O.
"""
