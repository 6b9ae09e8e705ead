"""Pages of the evaluation, by audience: the workspace of officers and evaluators, the bidders'
results and challenges, the review body, and the public award notices."""
