; Pool code, as two patterns of one query (compiling a query against the Python
; grammar costs milliseconds, so there is only one).
;
; Pattern 0: every call whose callee is a plain name or an attribute
; (`create_engine(...)`, `sqlalchemy.create_engine(...)`). The callee's last name is
; compared with the pin's call name in code, so that the name can come from
; configuration.
(call
  function: [
    (identifier) @callee
    (attribute attribute: (identifier) @callee)
  ]
  arguments: (argument_list) @arguments) @call

; Pattern 1: `from <module> import ...`; the module is compared with the pin's import
; module (`sqlalchemy.pool`) in code.
(import_from_statement
  module_name: (dotted_name) @module) @import
