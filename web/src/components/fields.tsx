import { useId } from 'react';

/** A labelled select of a filter form; `any` adds a first "Any" choice (value ""). */
export function SelectField(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: readonly (readonly [value: string, label: string])[];
  any?: boolean;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <select id={id} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        {props.any && <option value="">Any</option>}
        {props.options.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The search box of a filter form, taking the rest of the row. */
export function SearchField(props: { value: string; onChange: (value: string) => void; placeholder: string }) {
  const id = useId();
  return (
    <div className="field grow">
      <label htmlFor={id}>Search</label>
      <input id={id} type="search" placeholder={props.placeholder} value={props.value} onChange={(e) => props.onChange(e.target.value)} />
    </div>
  );
}

/** A table's column headers; `actions` adds a last column for row buttons, named for screen readers only. */
export function TableHead(props: { columns: readonly string[]; actions?: boolean }) {
  return (
    <thead>
      <tr>
        {props.columns.map((c) => (
          <th scope="col" key={c}>
            {c}
          </th>
        ))}
        {props.actions && (
          <th scope="col">
            <span className="sr-only">Actions</span>
          </th>
        )}
      </tr>
    </thead>
  );
}
