"""Reports: score plots (``plots.plot_scores``) and the static HTML page of a results folder
(``html.build_report``)."""
