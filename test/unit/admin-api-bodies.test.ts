import { describe, expect, it } from "vitest";
import { decodeBody, decodeForm } from "../../app/.server/admin-api/http";

describe("Admin API bodies", () => {
  it("nests Kong's form keys and makes arrays of repeated ones", () => {
    expect(decodeForm("name=acl&config.allow=a&config.allow=b&config.hide_groups_header=true")).toEqual({
      name: "acl",
      config: { allow: ["a", "b"], hide_groups_header: "true" },
    });
    expect(decodeForm("paths[]=%2Fx&paths[]=/y&hosts[1]=a.example&service.name=s&headers.x-version=2")).toEqual({
      paths: ["/x", "/y"],
      hosts: ["a.example"],
      service: { name: "s" },
      headers: { "x-version": "2" },
    });
  });

  it("reads JSON, form-encoded and multipart bodies, and refuses others with what to send", () => {
    expect(decodeBody("application/json; charset=utf-8", Buffer.from('{"a":1}'))).toEqual({ body: { a: 1 }, form: false });
    expect(decodeBody("application/x-www-form-urlencoded", Buffer.from("a=1"))).toEqual({ body: { a: "1" }, form: true });
    const b = "XyZ";
    const mp = `--${b}\r\nContent-Disposition: form-data; name="name"\r\n\r\nacl\r\n--${b}\r\nContent-Disposition: form-data; name="config.allow"\r\n\r\ngold\r\n--${b}--\r\n`;
    expect(decodeBody(`multipart/form-data; boundary=${b}`, Buffer.from(mp))).toEqual({ body: { name: "acl", config: { allow: "gold" } }, form: true });
    expect(() => decodeBody("application/json", Buffer.from("[1]"))).toThrow(/expected an object/);
    expect(() => decodeBody("text/plain", Buffer.from("x"))).toThrow(/Unsupported Content-Type/);
  });
});
