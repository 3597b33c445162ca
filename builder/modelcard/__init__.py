"""The model report: a model card, the evaluation with plots, the executed notebook and live panels.

Made in two steps, like the rest of nb2service:

- at build time, ``stage.write_report`` draws the plots (``plots``, ``svg``; feature importances read
  in the build environment by ``importances``) and renders the executed notebooks with nbconvert
  (``notebook``) into the artifact's ``report/`` folder;
- at view time, ``page`` lays out the card (``card``), those files and, on the service, the live
  panels (``builder.serve.views.report``); ``nb2service report`` writes the same page as one file.
"""
