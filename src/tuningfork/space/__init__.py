"""Search spaces: distributions, conditional spaces, unit-cube transforms, serialization."""

from tuningfork.space._distributions import Categorical, Distribution, Float, Int
from tuningfork.space._parse import load_space, read_config_file, space_from_spec
from tuningfork.space._serialize import (
    decode_value,
    distribution_from_dict,
    distribution_to_dict,
    dumps_distribution,
    dumps_value,
    encode_value,
    loads_distribution,
    loads_value,
    space_from_dict,
    space_to_dict,
)
from tuningfork.space._space import Conditional, SearchSpace, bind

__all__ = [
    "Categorical",
    "Conditional",
    "Distribution",
    "Float",
    "Int",
    "SearchSpace",
    "bind",
    "decode_value",
    "distribution_from_dict",
    "distribution_to_dict",
    "dumps_distribution",
    "dumps_value",
    "encode_value",
    "load_space",
    "loads_distribution",
    "loads_value",
    "read_config_file",
    "space_from_dict",
    "space_from_spec",
    "space_to_dict",
]
