"""The presets: every number of the paper in one place, and a preset that makes no sense refused
however it is made (a keyword, `replace`, a file)."""

import dataclasses

import pytest

from siamfc_edu.config import PRESETS, SiamFCConfig, get_preset


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_is_valid_and_the_paper_is_siamfc_3s(name):
    assert isinstance(PRESETS[name], SiamFCConfig)
    assert get_preset("paper") == get_preset("SiamFC-3s")


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"scale_num": 2}, r"config 'tiny': scale_num must be odd and at least 1"),
        ({"window_influence": 1.7}, r"window_influence must be from 0 to 1, got 1.7"),
        ({"window_influence": "a"}, r"config field window_influence is 'a', not a finite number"),
        ({"epochs": 2.5}, r"config field epochs is 2.5, not a whole number"),
        ({"channels": (3, 4, 5, 6, 7)}, r"channels must be five even numbers"),
        ({"instance_size": 127}, r"instance_size must exceed exemplar_size 127"),
        ({"min_scale": 2.0, "max_scale": 1.0}, r"max_scale \(1.0\) must be at least min_scale"),
        ({"momentum": 1.0}, r"momentum must be from 0 to below 1, got 1.0"),
        ({"scale_nmu": 3}, r"unknown config field\(s\) \['scale_nmu'\]"),
    ],
)
def test_a_preset_that_makes_no_sense_is_refused_by_keyword(overrides, message):
    with pytest.raises(ValueError, match=message):
        get_preset("tiny", **overrides)


def test_replace_and_the_constructor_check_too():
    with pytest.raises(ValueError, match="scale_num must be odd"):
        get_preset("tiny").replace(scale_num=4)
    with pytest.raises(ValueError, match="scale_num must be odd"):
        dataclasses.replace(get_preset("tiny"), scale_num=4)
    with pytest.raises(ValueError, match="lr_final must be above 0"):
        SiamFCConfig(lr_final=0.0)
