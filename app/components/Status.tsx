export function Status({ value }: { value: string }) {
  return <span className={`badge ${value}`}>{value}</span>;
}
