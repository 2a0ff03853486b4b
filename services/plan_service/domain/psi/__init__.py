"""A plan's PSI under review, pure: the grid folded from the plan's artifacts and its PSI facts
(``grid``), the arithmetic of distributions (``spread``), what an edit or a reconcile changes
(``decide``), the PSI as the log carries it (``baseline``) and a revision's supply plan (``revision``)."""
