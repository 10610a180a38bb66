{{ taxonomy_dimension('capability') }}
