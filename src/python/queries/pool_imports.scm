; `from <module> import ...` statements; the module is compared with the pin's import
; module (`sqlalchemy.pool`) in code.
(import_from_statement
  module_name: (dotted_name) @module) @import
