"""The generator: synthetic videos of real textures moving over real footage, with exact boxes.

`content`: what videos are made of: the footage pool, textures, silhouettes, backgrounds.
`motion`: how things move: a bouncing random walk, scale, angle and brightness curves.
`scene`: what a video holds: its designed attributes, the target, a look-alike, occluders.
`render`: drawing a video: posing and compositing layers, measuring boxes and visibility.
`make`: the data set: many videos written with the writers of `layouts/`, deterministic per seed.
"""
