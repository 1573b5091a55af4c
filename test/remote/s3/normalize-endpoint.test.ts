import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { normalizeEndpoint } from '../../../src/remote/s3/index.js'

describe('normalizeEndpoint', () => {
  const table: [string, string][] = [
    ['s3.cubbit.eu', 'https://s3.cubbit.eu'],
    ['s3.fr-par.scw.cloud:443', 'https://s3.fr-par.scw.cloud:443'],
    ['s3.example.com/custom', 'https://s3.example.com/custom'],
    ['s3.example.com/path://foo', 'https://s3.example.com/path://foo'],
    ['https://s3.cubbit.eu', 'https://s3.cubbit.eu'],
    ['http://localhost:4566', 'http://localhost:4566'],
    ['s3://my-bucket', 's3://my-bucket'],
    ['', ''],
  ]
  for (const [input, expected] of table) {
    it(`maps "${input}" to "${expected}"`, () => {
      assert.equal(normalizeEndpoint(input), expected)
    })
  }
})
