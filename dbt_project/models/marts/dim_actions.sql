{{ taxonomy_dimension('action') }}
