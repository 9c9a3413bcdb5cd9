import { z } from 'zod'

/** A regular expression's source in config, checked to compile with the flags it will be used with. */
export const regexSource = (flags: string) =>
  z.string().refine(
    (source) => {
      try {
        new RegExp(source, flags)
        return true
      } catch {
        return false
      }
    },
    { message: 'not a valid regular expression' },
  )
