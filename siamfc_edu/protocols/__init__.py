"""The paper's evaluation protocols, built on `evaluate`'s metrics (Section 4 of the paper).

`otb`: OTB's OPE, TRE and SRE (Wu et al. 2013): which runs each protocol makes, how they are
scored, and the paper's Fig. 3 (one success plot per protocol).
`vot`: VOT's supervised protocol (Kristan et al. 2015): re-initialisation after each failure,
accuracy, failures, the expected average overlap (EAO) on rotated polygons; the paper's Table 2.
`results`: one folder of result files per protocol, and the check that a folder holds the right one.
"""
