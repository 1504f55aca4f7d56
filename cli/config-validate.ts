/** `gatehouse config validate FILE`: arrives with the declarative loader. */
export async function runConfigValidate(_file: string): Promise<number> {
  process.stderr.write("gatehouse config validate: the declarative config loader is not implemented yet\n");
  return 1;
}
