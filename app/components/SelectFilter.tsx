/** A labelled <select> for a GET filter form: "any" (empty) first, then the options. */
export function SelectFilter({
  label,
  name,
  value,
  options,
}: {
  label: string;
  name: string;
  value: string;
  options: readonly (string | { value: string; label: string })[];
}) {
  return (
    <label>
      {label}
      <select name={name} defaultValue={value}>
        <option value="">any</option>
        {options.map((o) => {
          const { value: v, label: l } = typeof o === "string" ? { value: o, label: o } : o;
          return (
            <option key={v} value={v}>
              {l}
            </option>
          );
        })}
      </select>
    </label>
  );
}
