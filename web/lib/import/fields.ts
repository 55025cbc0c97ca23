/**
 * The columns a portfolio spreadsheet can have: one row per unit, the property's columns repeated
 * on each of its units, the resident and lease columns filled where the unit is let. The keys are
 * the column names import_portfolio reports errors under (supabase/migrations/*_add_portfolio_import.sql).
 */
export type FieldKey =
  | 'property_name'
  | 'address_line1'
  | 'address_line2'
  | 'city'
  | 'region'
  | 'postal_code'
  | 'country'
  | 'unit_label'
  | 'bedrooms'
  | 'bathrooms'
  | 'square_feet'
  | 'market_rent'
  | 'resident_name'
  | 'resident_email'
  | 'resident_phone'
  | 'co_resident_name'
  | 'co_resident_email'
  | 'lease_start'
  | 'lease_end'
  | 'rent'
  | 'deposit'
  | 'due_day';

export type FieldGroup = 'Property' | 'Unit' | 'Resident' | 'Lease';

export interface FieldDef {
  key: FieldKey;
  /** The template's header, and the field's name on screen. */
  label: string;
  group: FieldGroup;
  /** Without it no row can be imported: an unmapped required field blocks the preview. */
  required?: boolean;
  /** One line for the column guide on the page. */
  description: string;
  /** Other headers spreadsheets use for this column (compared without case, spaces or punctuation). */
  synonyms: string[];
}

export const FIELDS: readonly FieldDef[] = [
  {
    key: 'property_name',
    label: 'Property',
    group: 'Property',
    required: true,
    description: 'The building or site. Repeat it on every unit of the property; a property Lintel already has (same name) is reused.',
    synonyms: ['property name', 'building', 'building name', 'property/building', 'complex', 'community', 'site', 'property title'],
  },
  {
    key: 'address_line1',
    label: 'Street address',
    group: 'Property',
    description: 'Street and number. The first row of a new property gives its address.',
    synonyms: ['address', 'street', 'address 1', 'address line 1', 'property address', 'street 1'],
  },
  { key: 'address_line2', label: 'Address line 2', group: 'Property', description: 'Optional.', synonyms: ['address 2', 'street 2', 'address line2'] },
  { key: 'city', label: 'City', group: 'Property', description: 'City or town.', synonyms: ['town', 'city/town'] },
  { key: 'region', label: 'State or region', group: 'Property', description: 'State, province or region, e.g. IL.', synonyms: ['state', 'province', 'state/province', 'county'] },
  { key: 'postal_code', label: 'Postal code', group: 'Property', description: 'ZIP or postal code.', synonyms: ['zip', 'zip code', 'zipcode', 'postcode', 'post code', 'postal'] },
  {
    key: 'country',
    label: 'Country',
    group: 'Property',
    description: 'Two-letter code such as US or GB; empty means your company’s country.',
    synonyms: ['country code'],
  },
  {
    key: 'unit_label',
    label: 'Unit',
    group: 'Unit',
    required: true,
    description: 'The unit’s label, unique within its property (1A, Unit 101). A unit the property already has is reused.',
    synonyms: ['unit #', 'unit number', 'unit no', 'unit label', 'unit name', 'apt', 'apt #', 'apartment', 'apartment number', 'suite', 'door'],
  },
  { key: 'bedrooms', label: 'Bedrooms', group: 'Unit', description: 'Whole number, 0 for a studio. Empty means 1.', synonyms: ['beds', 'bed', 'br', 'bd', 'bedroom'] },
  { key: 'bathrooms', label: 'Bathrooms', group: 'Unit', description: 'Such as 1 or 1.5. Empty means 1.', synonyms: ['baths', 'bath', 'ba', 'bathroom'] },
  { key: 'square_feet', label: 'Square feet', group: 'Unit', description: 'Whole number, optional.', synonyms: ['sq ft', 'sqft', 'sq. ft.', 'size', 'area', 'square footage'] },
  { key: 'market_rent', label: 'Market rent', group: 'Unit', description: 'Asking rent per month, optional.', synonyms: ['asking rent', 'market', 'advertised rent', 'list rent'] },
  {
    key: 'resident_name',
    label: 'Resident name',
    group: 'Resident',
    description: 'The main resident on the lease. Leave the resident and lease columns empty for a vacant unit.',
    synonyms: ['resident', 'tenant', 'tenant name', 'tenants', 'occupant', 'lessee', 'renter', 'resident full name', 'primary tenant'],
  },
  {
    key: 'resident_email',
    label: 'Resident email',
    group: 'Resident',
    description: 'Optional. A resident Lintel already has with this email is reused.',
    synonyms: ['email', 'e-mail', 'tenant email', 'email address'],
  },
  { key: 'resident_phone', label: 'Resident phone', group: 'Resident', description: 'Optional.', synonyms: ['phone', 'phone number', 'mobile', 'cell', 'tenant phone', 'telephone'] },
  {
    key: 'co_resident_name',
    label: 'Co-resident name',
    group: 'Resident',
    description: 'Optional: a second resident on the same lease.',
    synonyms: ['co-resident', 'co-tenant', 'cotenant', 'co tenant name', 'roommate', 'second resident', 'resident 2', 'tenant 2'],
  },
  { key: 'co_resident_email', label: 'Co-resident email', group: 'Resident', description: 'Optional.', synonyms: ['co-tenant email', 'roommate email', 'resident 2 email', 'tenant 2 email'] },
  {
    key: 'lease_start',
    label: 'Lease start',
    group: 'Lease',
    description: 'Needed when the unit is let.',
    synonyms: ['start date', 'lease start date', 'move in', 'move-in date', 'move in date', 'lease from', 'start', 'commencement'],
  },
  {
    key: 'lease_end',
    label: 'Lease end',
    group: 'Lease',
    description: 'Last day of the lease; empty for month-to-month. A lease that has ended is imported as ended.',
    synonyms: ['end date', 'lease end date', 'lease to', 'lease expiration', 'expiration', 'expiry', 'move out', 'move-out date'],
  },
  { key: 'rent', label: 'Rent', group: 'Lease', description: 'Monthly rent, needed when the unit is let.', synonyms: ['monthly rent', 'lease rent', 'current rent', 'rent amount', 'actual rent'] },
  { key: 'deposit', label: 'Deposit', group: 'Lease', description: 'Security deposit held, optional.', synonyms: ['security deposit', 'sec dep', 'deposit held', 'deposit amount'] },
  {
    key: 'due_day',
    label: 'Rent due day',
    group: 'Lease',
    description: 'Day of the month rent is due, 1 to 28. Empty means the 1st.',
    synonyms: ['due day', 'due', 'rent due', 'due date', 'day due'],
  },
];

export const FIELD_BY_KEY = Object.fromEntries(FIELDS.map((f) => [f.key, f])) as Record<FieldKey, FieldDef>;

export const REQUIRED_FIELDS: readonly FieldKey[] = FIELDS.filter((f) => f.required).map((f) => f.key);

/** Lease fields: any of them on a row means the unit is let. */
export const LEASE_FIELDS: readonly FieldKey[] = ['lease_start', 'lease_end', 'rent', 'deposit', 'due_day'];
