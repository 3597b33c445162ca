"""Code that runs inside the notebook's kernel, after (and, for the tracker, during) the run.

The build imports these modules in the kernel from a copy of the package placed in the build
environment; they use only the standard library and, lazily, what the notebook itself imported
(scikit-learn, numpy, pandas, joblib).
"""
