"""The evaluation protocol: MATLAB-exact resizing, BT.601 luminance, crops, degradations and the record of
every knob. Each piece is a small pure function with its formula and source in the docstring."""
