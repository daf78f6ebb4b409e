// htm bound to preact: tagged templates that build elements (text is always text, never HTML).
import { h } from './vendor/preact.js'
import htm from './vendor/htm.js'

export const html = htm.bind(h)
