"""Reports for leads (issue 18): the week's review figures and product-quality signals."""
