; Every call whose callee is a plain name or an attribute (`create_engine(...)`,
; `sqlalchemy.create_engine(...)`). The callee's last name is compared with the pin's
; call name in code, so that the name can come from configuration.
(call
  function: [
    (identifier) @callee
    (attribute attribute: (identifier) @callee)
  ]
  arguments: (argument_list) @arguments) @call
