"""The catalog: categories, products, product images, search and filters."""
