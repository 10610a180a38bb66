{{ taxonomy_dimension('intent') }}
