"""annotate's Django app (app label `projects`): the domain packages, their interfaces and the models. README.md's map
lists every package.
"""
