"""What auth-api and products-api share: the router and the bearer tokens.

Both functions deploy this one code folder (handlers `auth.handler` and
`products.handler`), so the shared package travels in each zip without a layer.
"""
