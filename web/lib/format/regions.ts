/** Choices for country, timezone and locale pickers, named in the viewer's language by Intl. */
const COUNTRY_CODES =
  'AD AE AF AG AI AL AM AO AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GT GU GW GY HK HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'.split(' ');

export interface Choice {
  value: string;
  label: string;
}

export function countryChoices(locale?: string): Choice[] {
  const names = new Intl.DisplayNames(locale ? [locale] : undefined, { type: 'region' });
  return COUNTRY_CODES.map((c) => ({ value: c, label: names.of(c) ?? c })).sort((a, b) => a.label.localeCompare(b.label));
}

export function timezoneChoices(): Choice[] {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC'];
  return [{ value: 'UTC', label: 'UTC' }, ...zones.filter((z) => z !== 'UTC').map((z) => ({ value: z, label: z.replaceAll('_', ' ') }))];
}

export function currencyChoices(codes: readonly string[], locale?: string): Choice[] {
  const names = new Intl.DisplayNames(locale ? [locale] : undefined, { type: 'currency' });
  return codes.map((c) => ({ value: c, label: `${c} · ${names.of(c) ?? c}` }));
}

export function localeChoices(tags: readonly string[]): Choice[] {
  return tags.map((t) => {
    const name = new Intl.DisplayNames([t], { type: 'language' }).of(t) ?? t;
    return { value: t, label: `${name} (${t})` };
  });
}

/** The browser's timezone, if it is one we offer. */
export function guessTimezone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}
