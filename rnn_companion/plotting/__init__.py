"""Figures of the book, drawn with matplotlib (installed with ``rnn-companion[plot]``).

One submodule per part of the book; import from them directly, e.g.
``from rnn_companion.plotting.diagrams import draw_unrolled``:

- :mod:`rnn_companion.plotting.style`: the shared look (sizes, colours, readable in
  light and dark themes);
- :mod:`rnn_companion.plotting.diagrams`: architecture diagrams and hidden-state plots
  (chapters 1 and 2);
- :mod:`rnn_companion.plotting.sharing`: parameter counts against sequence length, per-step
  gradient terms and the bidirectional output (chapters 3 and 4);
- :mod:`rnn_companion.plotting.layouts`: stacked, bidirectional and packed layouts of
  ``torch.nn.RNN`` (chapter 4), Elman's and Jordan's networks unit by unit (chapters 7, 8);
- :mod:`rnn_companion.plotting.graphs`: computational graphs (one step as one product, the
  unrolled graph with its gradient paths, truncated BPTT; chapters 2 and 5);
- :mod:`rnn_companion.plotting.spread`: results over several seeds, mean and range;
- :mod:`rnn_companion.plotting.curves`: training curves and gradient norms (training
  chapters);
- :mod:`rnn_companion.plotting.experiments`: the Elman (1990) and Jordan (1986)
  reproductions;
- :mod:`rnn_companion.plotting.performance`: benchmark plots;
- :mod:`rnn_companion.plotting.charlm`: the character model's learning curves;
- :mod:`rnn_companion.plotting.gated`: the parallel scan's rounds, scan timings and the gated models' memory.

Every function draws only (the numbers come from the other modules), takes an optional ``ax``
(``axes`` when it draws several panels) and returns the :class:`matplotlib.figure.Figure`.
"""
