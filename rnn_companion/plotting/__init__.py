"""Figures of the book, drawn with matplotlib (installed with ``rnn-companion[plot]``).

One submodule per part of the book; import from them directly, e.g.
``from rnn_companion.plotting.diagrams import draw_unrolled``:

- :mod:`rnn_companion.plotting.style`: the shared look (sizes, colours, readable in
  light and dark themes);
- :mod:`rnn_companion.plotting.diagrams`: architecture diagrams and hidden-state plots
  (chapters 1 and 2);
- :mod:`rnn_companion.plotting.sharing`: parameter counts against sequence length, per-step
  gradient terms and the bidirectional output (chapters 3 and 4);
- :mod:`rnn_companion.plotting.curves`: training curves and gradient norms (training
  chapters);
- :mod:`rnn_companion.plotting.experiments`: the Elman (1990) and Jordan (1986)
  reproductions;
- :mod:`rnn_companion.plotting.performance`: benchmark plots.

Every function draws only (the numbers come from the other modules), takes an optional ``ax``
(``axes`` when it draws several panels) and returns the :class:`matplotlib.figure.Figure`.
"""
