"""The data-set layouts, one module each holding both its reader and its writer.

`vid`: ImageNet VID 2015, the paper's training data (one XML per frame, inclusive corners).
`got10k`: GOT-10k (1-based boxes, absence and cover labels).
`otb`: OTB-2013 / OTB-100 (1-based boxes, one or two targets per sequence).
`vot`: VOT 2013-2019 (rotated polygons, per-frame tags).
`common`: what they share: defect counting, ground-truth files, attributes.txt, numbered JPEGs.
Every reader returns `Sequence`s with 0-based [x, y, w, h] boxes (NaN where the target is absent).
The generator writes miniatures of every layout with these writers, so the same readers serve both.
"""
