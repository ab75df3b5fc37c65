# Before any job is planned: every output of this study that exists but cannot be read
# (truncated, overwritten) is set aside as NAME.unreadable, with a warning naming it, so that this
# run rebuilds it and the jobs after it, instead of trusting it or failing on it in every later run.
# Included after every other rule file, so that study_outputs (common.smk) finds all their outputs.
from modecollapse.io import set_aside_unreadable

set_aside_unreadable(study_outputs())
