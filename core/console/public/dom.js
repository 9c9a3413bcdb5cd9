// Small DOM helpers: the console builds every element with these, never from HTML strings, so
// a customer's text can never become markup.

/** `h('li', { class: 'row', 'data-testid': 'x', onclick: fn }, 'text', child)` */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value)
    else if (name === 'class') element.className = value
    else if (name in element && typeof value !== 'string') element[name] = value
    else element.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue
    element.append(child instanceof Node ? child : String(child))
  }
  return element
}

export const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`)

export function replaceChildren(element, children) {
  element.replaceChildren(...children.filter(Boolean))
}

/** 75 000 → "1m 15s"; for waiting times and SLA clocks. */
export function duration(ms) {
  const seconds = Math.max(0, Math.floor(ms / 1000))
  const days = Math.floor(seconds / 86400)
  const hours = Math.floor((seconds % 86400) / 3600)
  const minutes = Math.floor((seconds % 3600) / 60)
  const rest = seconds % 60
  if (days) return `${days}d ${hours}h`
  if (hours) return `${hours}h ${String(minutes).padStart(2, '0')}m`
  if (minutes) return `${minutes}m ${String(rest).padStart(2, '0')}s`
  return `${rest}s`
}

export const timeOfDay = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })

/** Shows a message in an alert line; empty text clears it. */
export function say(element, text) {
  element.textContent = text || ''
}
