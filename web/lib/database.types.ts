
export type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[]

export type Database = {
  
  "public": {
          Tables: {
            "audit_log": {
                  Row: {
                    "action": string,"actor_role": string | null,"actor_user_id": string | null,"created_at": string,"id": number,"new_values": Json | null,"old_values": Json | null,"org_id": string,"record_id": string,"request_id": string | null,"table_name": string,"via": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "action": string,"actor_role"?: string | null,"actor_user_id"?: string | null,"created_at"?: string,"id"?: never,"new_values"?: Json | null,"old_values"?: Json | null,"org_id": string,"record_id": string,"request_id"?: string | null,"table_name": string,"via"?: string | null
                  }
                  Update: {
                    "action"?: string,"actor_role"?: string | null,"actor_user_id"?: string | null,"created_at"?: string,"id"?: never,"new_values"?: Json | null,"old_values"?: Json | null,"org_id"?: string,"record_id"?: string,"request_id"?: string | null,"table_name"?: string,"via"?: string | null
                  }
                  Relationships: [
                    
                  ]
                },"autopay_enrollments": {
                  Row: {
                    "card_brand": string | null,"card_last4": string | null,"created_at": string,"enabled": boolean,"enabled_at": string | null,"id": string,"lease_id": string,"org_id": string,"resident_id": string,"stripe_customer_id": string | null,"stripe_payment_method_id": string | null,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "card_brand"?: string | null,"card_last4"?: string | null,"created_at"?: string,"enabled"?: boolean,"enabled_at"?: string | null,"id"?: string,"lease_id": string,"org_id"?: string,"resident_id": string,"stripe_customer_id"?: string | null,"stripe_payment_method_id"?: string | null,"updated_at"?: string
                  }
                  Update: {
                    "card_brand"?: string | null,"card_last4"?: string | null,"created_at"?: string,"enabled"?: boolean,"enabled_at"?: string | null,"id"?: string,"lease_id"?: string,"org_id"?: string,"resident_id"?: string,"stripe_customer_id"?: string | null,"stripe_payment_method_id"?: string | null,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "autopay_enrollments_org_id_lease_id_fkey"
      columns: ["org_id","lease_id"]
isOneToOne: false
      referencedRelation: "lease_directory"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "autopay_enrollments_org_id_lease_id_fkey"
      columns: ["org_id","lease_id"]
isOneToOne: false
      referencedRelation: "leases"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "autopay_enrollments_org_id_resident_id_fkey"
      columns: ["org_id","resident_id"]
isOneToOne: false
      referencedRelation: "resident_directory"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "autopay_enrollments_org_id_resident_id_fkey"
      columns: ["org_id","resident_id"]
isOneToOne: false
      referencedRelation: "residents"
      referencedColumns: ["org_id","id"]
    }
                  ]
                },"invitations": {
                  Row: {
                    "accepted_at": string | null,"accepted_by": string | null,"created_at": string,"email": string,"expires_at": string,"id": string,"invited_by": string | null,"org_id": string,"resident_id": string | null,"role": string,"token_hash": string
                  }
                  ComputedFields: never
                  Insert: {
                    "accepted_at"?: string | null,"accepted_by"?: string | null,"created_at"?: string,"email": string,"expires_at"?: string,"id"?: string,"invited_by"?: string | null,"org_id"?: string,"resident_id"?: string | null,"role": string,"token_hash": string
                  }
                  Update: {
                    "accepted_at"?: string | null,"accepted_by"?: string | null,"created_at"?: string,"email"?: string,"expires_at"?: string,"id"?: string,"invited_by"?: string | null,"org_id"?: string,"resident_id"?: string | null,"role"?: string,"token_hash"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "invitations_org_id_fkey"
      columns: ["org_id"]
isOneToOne: false
      referencedRelation: "organizations"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "invitations_org_id_resident_id_fkey"
      columns: ["org_id","resident_id"]
isOneToOne: false
      referencedRelation: "resident_directory"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "invitations_org_id_resident_id_fkey"
      columns: ["org_id","resident_id"]
isOneToOne: false
      referencedRelation: "residents"
      referencedColumns: ["org_id","id"]
    }
                  ]
                },"lease_residents": {
                  Row: {
                    "created_at": string,"is_primary": boolean,"lease_id": string,"org_id": string,"resident_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"is_primary"?: boolean,"lease_id": string,"org_id"?: string,"resident_id": string
                  }
                  Update: {
                    "created_at"?: string,"is_primary"?: boolean,"lease_id"?: string,"org_id"?: string,"resident_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "lease_residents_org_id_lease_id_fkey"
      columns: ["org_id","lease_id"]
isOneToOne: false
      referencedRelation: "lease_directory"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "lease_residents_org_id_lease_id_fkey"
      columns: ["org_id","lease_id"]
isOneToOne: false
      referencedRelation: "leases"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "lease_residents_org_id_resident_id_fkey"
      columns: ["org_id","resident_id"]
isOneToOne: false
      referencedRelation: "resident_directory"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "lease_residents_org_id_resident_id_fkey"
      columns: ["org_id","resident_id"]
isOneToOne: false
      referencedRelation: "residents"
      referencedColumns: ["org_id","id"]
    }
                  ]
                },"leases": {
                  Row: {
                    "balance_minor": number,"created_at": string,"currency": string,"deposit_minor": number,"due_day": number,"end_date": string | null,"grace_days": number,"id": string,"late_fee_minor": number,"late_fee_posted_period": string | null,"org_id": string,"previous_lease_id": string | null,"rent_minor": number,"rent_posted_period": string | null,"start_date": string,"status": string,"unit_id": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "balance_minor"?: number,"created_at"?: string,"currency"?: string,"deposit_minor"?: number,"due_day"?: number,"end_date"?: string | null,"grace_days"?: number,"id"?: string,"late_fee_minor"?: number,"late_fee_posted_period"?: string | null,"org_id"?: string,"previous_lease_id"?: string | null,"rent_minor": number,"rent_posted_period"?: string | null,"start_date": string,"status"?: string,"unit_id": string,"updated_at"?: string
                  }
                  Update: {
                    "balance_minor"?: number,"created_at"?: string,"currency"?: string,"deposit_minor"?: number,"due_day"?: number,"end_date"?: string | null,"grace_days"?: number,"id"?: string,"late_fee_minor"?: number,"late_fee_posted_period"?: string | null,"org_id"?: string,"previous_lease_id"?: string | null,"rent_minor"?: number,"rent_posted_period"?: string | null,"start_date"?: string,"status"?: string,"unit_id"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "leases_org_id_previous_lease_id_fkey"
      columns: ["org_id","previous_lease_id"]
isOneToOne: false
      referencedRelation: "lease_directory"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "leases_org_id_previous_lease_id_fkey"
      columns: ["org_id","previous_lease_id"]
isOneToOne: false
      referencedRelation: "leases"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "leases_org_id_unit_id_fkey"
      columns: ["org_id","unit_id"]
isOneToOne: false
      referencedRelation: "unit_directory"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "leases_org_id_unit_id_fkey"
      columns: ["org_id","unit_id"]
isOneToOne: false
      referencedRelation: "units"
      referencedColumns: ["org_id","id"]
    }
                  ]
                },"ledger_entries": {
                  Row: {
                    "amount_minor": number,"created_at": string,"created_by": string | null,"currency": string,"description": string,"effective_date": string,"id": string,"idempotency_key": string,"kind": string,"lease_id": string,"org_id": string,"payment_id": string | null,"period_end": string | null,"period_start": string | null,"reverses_entry_id": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "amount_minor": number,"created_at"?: string,"created_by"?: string | null,"currency": string,"description"?: string,"effective_date"?: string,"id"?: string,"idempotency_key": string,"kind": string,"lease_id": string,"org_id": string,"payment_id"?: string | null,"period_end"?: string | null,"period_start"?: string | null,"reverses_entry_id"?: string | null
                  }
                  Update: {
                    "amount_minor"?: number,"created_at"?: string,"created_by"?: string | null,"currency"?: string,"description"?: string,"effective_date"?: string,"id"?: string,"idempotency_key"?: string,"kind"?: string,"lease_id"?: string,"org_id"?: string,"payment_id"?: string | null,"period_end"?: string | null,"period_start"?: string | null,"reverses_entry_id"?: string | null
                  }
                  Relationships: [
                    {
      foreignKeyName: "ledger_entries_org_id_lease_id_fkey"
      columns: ["org_id","lease_id"]
isOneToOne: false
      referencedRelation: "lease_directory"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "ledger_entries_org_id_lease_id_fkey"
      columns: ["org_id","lease_id"]
isOneToOne: false
      referencedRelation: "leases"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "ledger_entries_org_id_payment_id_fkey"
      columns: ["org_id","payment_id"]
isOneToOne: false
      referencedRelation: "payments"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "ledger_entries_org_id_reverses_entry_id_fkey"
      columns: ["org_id","reverses_entry_id"]
isOneToOne: true
      referencedRelation: "ledger_entries"
      referencedColumns: ["org_id","id"]
    }
                  ]
                },"maintenance_events": {
                  Row: {
                    "assigned_to": string | null,"author_id": string | null,"body": string | null,"created_at": string,"from_status": string | null,"id": string,"is_internal": boolean,"kind": string,"org_id": string,"request_id": string,"to_status": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "assigned_to"?: string | null,"author_id"?: string | null,"body"?: string | null,"created_at"?: string,"from_status"?: string | null,"id"?: string,"is_internal"?: boolean,"kind": string,"org_id"?: string,"request_id": string,"to_status"?: string | null
                  }
                  Update: {
                    "assigned_to"?: string | null,"author_id"?: string | null,"body"?: string | null,"created_at"?: string,"from_status"?: string | null,"id"?: string,"is_internal"?: boolean,"kind"?: string,"org_id"?: string,"request_id"?: string,"to_status"?: string | null
                  }
                  Relationships: [
                    {
      foreignKeyName: "maintenance_events_org_id_request_id_fkey"
      columns: ["org_id","request_id"]
isOneToOne: false
      referencedRelation: "maintenance_requests"
      referencedColumns: ["org_id","id"]
    }
                  ]
                },"maintenance_requests": {
                  Row: {
                    "assigned_to": string | null,"category": string,"closed_at": string | null,"created_at": string,"created_by": string | null,"description": string,"entry_permitted": boolean,"id": string,"org_id": string,"priority": string,"resident_id": string | null,"status": string,"title": string,"unit_id": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "assigned_to"?: string | null,"category"?: string,"closed_at"?: string | null,"created_at"?: string,"created_by"?: string | null,"description"?: string,"entry_permitted"?: boolean,"id"?: string,"org_id"?: string,"priority"?: string,"resident_id"?: string | null,"status"?: string,"title": string,"unit_id": string,"updated_at"?: string
                  }
                  Update: {
                    "assigned_to"?: string | null,"category"?: string,"closed_at"?: string | null,"created_at"?: string,"created_by"?: string | null,"description"?: string,"entry_permitted"?: boolean,"id"?: string,"org_id"?: string,"priority"?: string,"resident_id"?: string | null,"status"?: string,"title"?: string,"unit_id"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "maintenance_requests_org_id_assigned_to_fkey"
      columns: ["org_id","assigned_to"]
isOneToOne: false
      referencedRelation: "memberships"
      referencedColumns: ["org_id","user_id"]
    },{
      foreignKeyName: "maintenance_requests_org_id_resident_id_fkey"
      columns: ["org_id","resident_id"]
isOneToOne: false
      referencedRelation: "resident_directory"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "maintenance_requests_org_id_resident_id_fkey"
      columns: ["org_id","resident_id"]
isOneToOne: false
      referencedRelation: "residents"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "maintenance_requests_org_id_unit_id_fkey"
      columns: ["org_id","unit_id"]
isOneToOne: false
      referencedRelation: "unit_directory"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "maintenance_requests_org_id_unit_id_fkey"
      columns: ["org_id","unit_id"]
isOneToOne: false
      referencedRelation: "units"
      referencedColumns: ["org_id","id"]
    }
                  ]
                },"memberships": {
                  Row: {
                    "created_at": string,"invitation_id": string | null,"org_id": string,"role": string,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"invitation_id"?: string | null,"org_id": string,"role": string,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "created_at"?: string,"invitation_id"?: string | null,"org_id"?: string,"role"?: string,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "memberships_org_id_fkey"
      columns: ["org_id"]
isOneToOne: false
      referencedRelation: "organizations"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "memberships_org_id_invitation_id_fkey"
      columns: ["org_id","invitation_id"]
isOneToOne: false
      referencedRelation: "invitations"
      referencedColumns: ["org_id","id"]
    }
                  ]
                },"notifications": {
                  Row: {
                    "body": string,"created_at": string,"data": NonNullable<Json>,"id": string,"kind": string,"link": string | null,"org_id": string,"read_at": string | null,"title": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "body"?: string,"created_at"?: string,"data"?: NonNullable<Json>,"id"?: string,"kind": string,"link"?: string | null,"org_id": string,"read_at"?: string | null,"title": string,"user_id": string
                  }
                  Update: {
                    "body"?: string,"created_at"?: string,"data"?: NonNullable<Json>,"id"?: string,"kind"?: string,"link"?: string | null,"org_id"?: string,"read_at"?: string | null,"title"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "notifications_org_id_fkey"
      columns: ["org_id"]
isOneToOne: false
      referencedRelation: "organizations"
      referencedColumns: ["id"]
    }
                  ]
                },"organizations": {
                  Row: {
                    "allow_prepayment": boolean,"billing_email": string | null,"billing_grace_until": string | null,"billing_status": string,"charges_enabled": boolean,"country": string,"created_at": string,"currency": string,"default_grace_days": number,"default_late_fee_minor": number,"details_submitted": boolean,"id": string,"locale": string,"name": string,"payouts_enabled": boolean,"plan": string,"reminder_days_before": number,"slug": string,"stripe_account_id": string | null,"stripe_customer_id": string | null,"stripe_subscription_id": string | null,"timezone": string,"unit_count": number,"unit_limit": number,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "allow_prepayment"?: boolean,"billing_email"?: string | null,"billing_grace_until"?: string | null,"billing_status"?: string,"charges_enabled"?: boolean,"country"?: string,"created_at"?: string,"currency"?: string,"default_grace_days"?: number,"default_late_fee_minor"?: number,"details_submitted"?: boolean,"id"?: string,"locale"?: string,"name": string,"payouts_enabled"?: boolean,"plan"?: string,"reminder_days_before"?: number,"slug": string,"stripe_account_id"?: string | null,"stripe_customer_id"?: string | null,"stripe_subscription_id"?: string | null,"timezone"?: string,"unit_count"?: number,"unit_limit"?: number,"updated_at"?: string
                  }
                  Update: {
                    "allow_prepayment"?: boolean,"billing_email"?: string | null,"billing_grace_until"?: string | null,"billing_status"?: string,"charges_enabled"?: boolean,"country"?: string,"created_at"?: string,"currency"?: string,"default_grace_days"?: number,"default_late_fee_minor"?: number,"details_submitted"?: boolean,"id"?: string,"locale"?: string,"name"?: string,"payouts_enabled"?: boolean,"plan"?: string,"reminder_days_before"?: number,"slug"?: string,"stripe_account_id"?: string | null,"stripe_customer_id"?: string | null,"stripe_subscription_id"?: string | null,"timezone"?: string,"unit_count"?: number,"unit_limit"?: number,"updated_at"?: string
                  }
                  Relationships: [
                    
                  ]
                },"payments": {
                  Row: {
                    "amount_minor": number,"application_fee_minor": number,"autopay": boolean,"created_at": string,"currency": string,"dispute_status": string | null,"failure_reason": string | null,"id": string,"idempotency_key": string | null,"lease_id": string,"method": string,"org_id": string,"receipt_path": string | null,"refunded_minor": number,"resident_id": string | null,"status": string,"stripe_account_id": string | null,"stripe_checkout_session_id": string | null,"stripe_event_at": string | null,"stripe_payment_intent_id": string | null,"succeeded_at": string | null,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "amount_minor": number,"application_fee_minor"?: number,"autopay"?: boolean,"created_at"?: string,"currency": string,"dispute_status"?: string | null,"failure_reason"?: string | null,"id"?: string,"idempotency_key"?: string | null,"lease_id": string,"method"?: string,"org_id": string,"receipt_path"?: string | null,"refunded_minor"?: number,"resident_id"?: string | null,"status"?: string,"stripe_account_id"?: string | null,"stripe_checkout_session_id"?: string | null,"stripe_event_at"?: string | null,"stripe_payment_intent_id"?: string | null,"succeeded_at"?: string | null,"updated_at"?: string
                  }
                  Update: {
                    "amount_minor"?: number,"application_fee_minor"?: number,"autopay"?: boolean,"created_at"?: string,"currency"?: string,"dispute_status"?: string | null,"failure_reason"?: string | null,"id"?: string,"idempotency_key"?: string | null,"lease_id"?: string,"method"?: string,"org_id"?: string,"receipt_path"?: string | null,"refunded_minor"?: number,"resident_id"?: string | null,"status"?: string,"stripe_account_id"?: string | null,"stripe_checkout_session_id"?: string | null,"stripe_event_at"?: string | null,"stripe_payment_intent_id"?: string | null,"succeeded_at"?: string | null,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "payments_org_id_lease_id_fkey"
      columns: ["org_id","lease_id"]
isOneToOne: false
      referencedRelation: "lease_directory"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "payments_org_id_lease_id_fkey"
      columns: ["org_id","lease_id"]
isOneToOne: false
      referencedRelation: "leases"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "payments_org_id_resident_id_fkey"
      columns: ["org_id","resident_id"]
isOneToOne: false
      referencedRelation: "resident_directory"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "payments_org_id_resident_id_fkey"
      columns: ["org_id","resident_id"]
isOneToOne: false
      referencedRelation: "residents"
      referencedColumns: ["org_id","id"]
    }
                  ]
                },"profiles": {
                  Row: {
                    "active_org_id": string | null,"avatar_url": string | null,"created_at": string,"full_name": string,"updated_at": string,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "active_org_id"?: string | null,"avatar_url"?: string | null,"created_at"?: string,"full_name"?: string,"updated_at"?: string,"user_id": string
                  }
                  Update: {
                    "active_org_id"?: string | null,"avatar_url"?: string | null,"created_at"?: string,"full_name"?: string,"updated_at"?: string,"user_id"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "profiles_active_org_id_fkey"
      columns: ["active_org_id"]
isOneToOne: false
      referencedRelation: "organizations"
      referencedColumns: ["id"]
    }
                  ]
                },"properties": {
                  Row: {
                    "address_line1": string,"address_line2": string | null,"city": string,"country": string,"created_at": string,"id": string,"name": string,"org_id": string,"postal_code": string | null,"region": string | null,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "address_line1"?: string,"address_line2"?: string | null,"city"?: string,"country"?: string,"created_at"?: string,"id"?: string,"name": string,"org_id"?: string,"postal_code"?: string | null,"region"?: string | null,"updated_at"?: string
                  }
                  Update: {
                    "address_line1"?: string,"address_line2"?: string | null,"city"?: string,"country"?: string,"created_at"?: string,"id"?: string,"name"?: string,"org_id"?: string,"postal_code"?: string | null,"region"?: string | null,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "properties_org_id_fkey"
      columns: ["org_id"]
isOneToOne: false
      referencedRelation: "organizations"
      referencedColumns: ["id"]
    }
                  ]
                },"push_subscriptions": {
                  Row: {
                    "auth": string,"created_at": string,"endpoint": string,"id": string,"p256dh": string,"user_agent": string | null,"user_id": string
                  }
                  ComputedFields: never
                  Insert: {
                    "auth": string,"created_at"?: string,"endpoint": string,"id"?: string,"p256dh": string,"user_agent"?: string | null,"user_id"?: string
                  }
                  Update: {
                    "auth"?: string,"created_at"?: string,"endpoint"?: string,"id"?: string,"p256dh"?: string,"user_agent"?: string | null,"user_id"?: string
                  }
                  Relationships: [
                    
                  ]
                },"reminder_preferences": {
                  Row: {
                    "email": boolean,"in_app": boolean,"org_id": string,"push": boolean,"resident_id": string,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "email"?: boolean,"in_app"?: boolean,"org_id"?: string,"push"?: boolean,"resident_id"?: string,"updated_at"?: string
                  }
                  Update: {
                    "email"?: boolean,"in_app"?: boolean,"org_id"?: string,"push"?: boolean,"resident_id"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "reminder_preferences_org_id_resident_id_fkey"
      columns: ["org_id","resident_id"]
isOneToOne: true
      referencedRelation: "resident_directory"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "reminder_preferences_org_id_resident_id_fkey"
      columns: ["org_id","resident_id"]
isOneToOne: true
      referencedRelation: "residents"
      referencedColumns: ["org_id","id"]
    }
                  ]
                },"reminders_sent": {
                  Row: {
                    "amount_minor": number,"attempts": number,"channel": string,"claim_token": string | null,"claimed_at": string | null,"created_at": string,"currency": string,"due_date": string,"error": string | null,"id": string,"kind": string,"lease_id": string,"org_id": string,"period_start": string,"resident_id": string,"sent_at": string | null,"status": string
                  }
                  ComputedFields: never
                  Insert: {
                    "amount_minor": number,"attempts"?: number,"channel": string,"claim_token"?: string | null,"claimed_at"?: string | null,"created_at"?: string,"currency": string,"due_date": string,"error"?: string | null,"id"?: string,"kind": string,"lease_id": string,"org_id": string,"period_start": string,"resident_id": string,"sent_at"?: string | null,"status"?: string
                  }
                  Update: {
                    "amount_minor"?: number,"attempts"?: number,"channel"?: string,"claim_token"?: string | null,"claimed_at"?: string | null,"created_at"?: string,"currency"?: string,"due_date"?: string,"error"?: string | null,"id"?: string,"kind"?: string,"lease_id"?: string,"org_id"?: string,"period_start"?: string,"resident_id"?: string,"sent_at"?: string | null,"status"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "reminders_sent_org_id_lease_id_fkey"
      columns: ["org_id","lease_id"]
isOneToOne: false
      referencedRelation: "lease_directory"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "reminders_sent_org_id_lease_id_fkey"
      columns: ["org_id","lease_id"]
isOneToOne: false
      referencedRelation: "leases"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "reminders_sent_org_id_resident_id_fkey"
      columns: ["org_id","resident_id"]
isOneToOne: false
      referencedRelation: "resident_directory"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "reminders_sent_org_id_resident_id_fkey"
      columns: ["org_id","resident_id"]
isOneToOne: false
      referencedRelation: "residents"
      referencedColumns: ["org_id","id"]
    }
                  ]
                },"rent_runs": {
                  Row: {
                    "attempts": number,"charged_lease_ids": (string)[],"error": string | null,"error_code": string | null,"finished_at": string | null,"id": string,"late_fee_entries": number,"local_date": string,"org_id": string,"queued_at": string,"rent_entries": number,"requested_by": string | null,"runner_pid": number | null,"runner_started_at": string | null,"source": string,"started_at": string | null,"status": string
                  }
                  ComputedFields: never
                  Insert: {
                    "attempts"?: number,"charged_lease_ids"?: (string)[],"error"?: string | null,"error_code"?: string | null,"finished_at"?: string | null,"id"?: string,"late_fee_entries"?: number,"local_date": string,"org_id": string,"queued_at"?: string,"rent_entries"?: number,"requested_by"?: string | null,"runner_pid"?: number | null,"runner_started_at"?: string | null,"source"?: string,"started_at"?: string | null,"status"?: string
                  }
                  Update: {
                    "attempts"?: number,"charged_lease_ids"?: (string)[],"error"?: string | null,"error_code"?: string | null,"finished_at"?: string | null,"id"?: string,"late_fee_entries"?: number,"local_date"?: string,"org_id"?: string,"queued_at"?: string,"rent_entries"?: number,"requested_by"?: string | null,"runner_pid"?: number | null,"runner_started_at"?: string | null,"source"?: string,"started_at"?: string | null,"status"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "rent_runs_org_id_fkey"
      columns: ["org_id"]
isOneToOne: false
      referencedRelation: "organizations"
      referencedColumns: ["id"]
    }
                  ]
                },"residents": {
                  Row: {
                    "created_at": string,"email": string | null,"full_name": string,"id": string,"org_id": string,"phone": string | null,"updated_at": string,"user_id": string | null
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"email"?: string | null,"full_name": string,"id"?: string,"org_id"?: string,"phone"?: string | null,"updated_at"?: string,"user_id"?: string | null
                  }
                  Update: {
                    "created_at"?: string,"email"?: string | null,"full_name"?: string,"id"?: string,"org_id"?: string,"phone"?: string | null,"updated_at"?: string,"user_id"?: string | null
                  }
                  Relationships: [
                    {
      foreignKeyName: "residents_org_id_fkey"
      columns: ["org_id"]
isOneToOne: false
      referencedRelation: "organizations"
      referencedColumns: ["id"]
    }
                  ]
                },"units": {
                  Row: {
                    "bathrooms": number,"bedrooms": number,"created_at": string,"id": string,"label": string,"market_rent_minor": number | null,"org_id": string,"property_id": string,"square_feet": number | null,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "bathrooms"?: number,"bedrooms"?: number,"created_at"?: string,"id"?: string,"label": string,"market_rent_minor"?: number | null,"org_id"?: string,"property_id": string,"square_feet"?: number | null,"updated_at"?: string
                  }
                  Update: {
                    "bathrooms"?: number,"bedrooms"?: number,"created_at"?: string,"id"?: string,"label"?: string,"market_rent_minor"?: number | null,"org_id"?: string,"property_id"?: string,"square_feet"?: number | null,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "units_org_id_property_id_fkey"
      columns: ["org_id","property_id"]
isOneToOne: false
      referencedRelation: "properties"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "units_org_id_property_id_fkey"
      columns: ["org_id","property_id"]
isOneToOne: false
      referencedRelation: "property_directory"
      referencedColumns: ["org_id","id"]
    }
                  ]
                }
          }
          Views: {
            "lease_directory": {
                  Row: {
                    "balance_minor": number,"created_at": string,"currency": string,"deposit_minor": number,"due_day": number,"end_date": string | null,"grace_days": number,"id": string,"late_fee_minor": number,"org_id": string,"property_id": string,"property_name": string,"rent_minor": number,"resident_ids": (string)[] | null,"resident_names": string | null,"start_date": string,"status": string,"unit_id": string,"unit_label": string
                  }
                  ComputedFields: never
                  Relationships: [
                    {
      foreignKeyName: "leases_org_id_unit_id_fkey"
      columns: ["org_id","unit_id"]
isOneToOne: false
      referencedRelation: "unit_directory"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "leases_org_id_unit_id_fkey"
      columns: ["org_id","unit_id"]
isOneToOne: false
      referencedRelation: "units"
      referencedColumns: ["org_id","id"]
    }
                  ]
                },"property_directory": {
                  Row: {
                    "address_line1": string,"address_line2": string | null,"city": string,"country": string,"created_at": string,"id": string,"name": string,"occupied_count": number | null,"org_id": string,"postal_code": string | null,"region": string | null,"unit_count": number | null
                  }
                  ComputedFields: never
                  Relationships: [
                    {
      foreignKeyName: "properties_org_id_fkey"
      columns: ["org_id"]
isOneToOne: false
      referencedRelation: "organizations"
      referencedColumns: ["id"]
    }
                  ]
                },"resident_directory": {
                  Row: {
                    "balance_minor": number | null,"created_at": string,"email": string | null,"full_name": string,"has_login": boolean | null,"id": string,"lease_id": string | null,"lease_status": string | null,"org_id": string,"phone": string | null,"property_name": string | null,"unit_id": string | null,"unit_label": string | null
                  }
                  ComputedFields: never
                  Relationships: [
                    {
      foreignKeyName: "residents_org_id_fkey"
      columns: ["org_id"]
isOneToOne: false
      referencedRelation: "organizations"
      referencedColumns: ["id"]
    }
                  ]
                },"unit_directory": {
                  Row: {
                    "balance_minor": number | null,"bathrooms": number,"bedrooms": number,"created_at": string,"id": string,"label": string,"lease_end_date": string | null,"lease_id": string | null,"lease_start_date": string | null,"market_rent_minor": number | null,"org_id": string,"property_id": string,"property_name": string,"rent_minor": number | null,"resident_names": string | null,"square_feet": number | null,"status": string | null
                  }
                  ComputedFields: never
                  Relationships: [
                    {
      foreignKeyName: "units_org_id_property_id_fkey"
      columns: ["org_id","property_id"]
isOneToOne: false
      referencedRelation: "properties"
      referencedColumns: ["org_id","id"]
    },{
      foreignKeyName: "units_org_id_property_id_fkey"
      columns: ["org_id","property_id"]
isOneToOne: false
      referencedRelation: "property_directory"
      referencedColumns: ["org_id","id"]
    }
                  ]
                }
          }
          Functions: {
            "accept_invitation":
{ Args: { "p_token": string }; Returns: {
              "created_at": string,
"invitation_id": string | null,
"org_id": string,
"role": string,
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "memberships"
        isOneToOne: true
        isSetofReturn: false
      } },
"billing_plans":
{ Args: Record<PropertyKey, never>; Returns: {
              "amount_minor": number,"billing_interval": string,"currency": string,"lookup_key": string,"name": string,"plan": string,"unit_limit": number
            }[]
                           },
"change_member_role":
{ Args: { "p_role": string,"p_user_id": string }; Returns: {
              "created_at": string,
"invitation_id": string | null,
"org_id": string,
"role": string,
"updated_at": string,
"user_id": string
            }
                          SetofOptions: {
        from: "*"
        to: "memberships"
        isOneToOne: true
        isSetofReturn: false
      } },
"claim_autopay_payments":
{ Args: { "p_limit"?: number }; Returns: Json
                           },
"claim_rent_reminders":
{ Args: { "p_limit"?: number,"p_org_ids"?: (string)[],"p_since": string }; Returns: Json
                           },
"complete_rent_reminders":
{ Args: { "p_results": Json }; Returns: number
                           },
"create_lease":
{ Args: { "p_deposit_minor"?: number,"p_due_day"?: number,"p_end_date"?: string,"p_grace_days"?: number,"p_late_fee_minor"?: number,"p_rent_minor"?: number,"p_resident_ids": (string)[],"p_start_date": string,"p_status"?: string,"p_unit_id": string }; Returns: {
              "balance_minor": number,
"created_at": string,
"currency": string,
"deposit_minor": number,
"due_day": number,
"end_date": string | null,
"grace_days": number,
"id": string,
"late_fee_minor": number,
"late_fee_posted_period": string | null,
"org_id": string,
"previous_lease_id": string | null,
"rent_minor": number,
"rent_posted_period": string | null,
"start_date": string,
"status": string,
"unit_id": string,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "leases"
        isOneToOne: true
        isSetofReturn: false
      } },
"create_organization":
{ Args: { "p_country"?: string,"p_currency"?: string,"p_locale"?: string,"p_name": string,"p_slug": string,"p_timezone"?: string }; Returns: {
              "allow_prepayment": boolean,
"billing_email": string | null,
"billing_grace_until": string | null,
"billing_status": string,
"charges_enabled": boolean,
"country": string,
"created_at": string,
"currency": string,
"default_grace_days": number,
"default_late_fee_minor": number,
"details_submitted": boolean,
"id": string,
"locale": string,
"name": string,
"payouts_enabled": boolean,
"plan": string,
"reminder_days_before": number,
"slug": string,
"stripe_account_id": string | null,
"stripe_customer_id": string | null,
"stripe_subscription_id": string | null,
"timezone": string,
"unit_count": number,
"unit_limit": number,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "organizations"
        isOneToOne: true
        isSetofReturn: false
      } },
"custom_access_token_hook":
{ Args: { "event": Json }; Returns: Json
                           },
"end_lease":
{ Args: { "p_lease_id": string,"p_move_out": string }; Returns: {
              "balance_minor": number,
"created_at": string,
"currency": string,
"deposit_minor": number,
"due_day": number,
"end_date": string | null,
"grace_days": number,
"id": string,
"late_fee_minor": number,
"late_fee_posted_period": string | null,
"org_id": string,
"previous_lease_id": string | null,
"rent_minor": number,
"rent_posted_period": string | null,
"start_date": string,
"status": string,
"unit_id": string,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "leases"
        isOneToOne: true
        isSetofReturn: false
      } },
"handle_stripe_event":
{ Args: { "p_event": Json,"p_fetched"?: Json }; Returns: Json
                           },
"import_portfolio":
{ Args: { "p_rows": Json }; Returns: Json
                           },
"invite_member":
{ Args: { "p_email": string,"p_resident_id"?: string,"p_role": string }; Returns: Json
                           },
"lookup_invitation":
{ Args: { "p_token": string }; Returns: {
              "email": string,"expires_at": string,"invited_by_name": string,"org_name": string,"role": string,"status": string
            }[]
                           },
"my_organizations":
{ Args: Record<PropertyKey, never>; Returns: {
              "is_active": boolean,"name": string,"org_id": string,"role": string
            }[]
                           },
"plan_rent_reminders":
{ Args: { "p_now"?: string,"p_org_ids"?: (string)[] }; Returns: Json
                           },
"post_ledger_entry":
{ Args: { "p_amount_minor": number,"p_description"?: string,"p_effective_date"?: string,"p_idempotency_key": string,"p_kind": string,"p_lease_id": string,"p_reverses_entry_id"?: string }; Returns: {
              "amount_minor": number,
"created_at": string,
"created_by": string | null,
"currency": string,
"description": string,
"effective_date": string,
"id": string,
"idempotency_key": string,
"kind": string,
"lease_id": string,
"org_id": string,
"payment_id": string | null,
"period_end": string | null,
"period_start": string | null,
"reverses_entry_id": string | null
            }
                          SetofOptions: {
        from: "*"
        to: "ledger_entries"
        isOneToOne: true
        isSetofReturn: false
      } },
"receipts_owed":
{ Args: { "p_limit"?: number,"p_min_age_seconds"?: number }; Returns: Json[]
                           },
"record_payment_succeeded":
{ Args: { "p_effective_date"?: string,"p_payment_id": string }; Returns: {
              "amount_minor": number,
"created_at": string,
"created_by": string | null,
"currency": string,
"description": string,
"effective_date": string,
"id": string,
"idempotency_key": string,
"kind": string,
"lease_id": string,
"org_id": string,
"payment_id": string | null,
"period_end": string | null,
"period_start": string | null,
"reverses_entry_id": string | null
            }
                          SetofOptions: {
        from: "*"
        to: "ledger_entries"
        isOneToOne: true
        isSetofReturn: false
      } },
"remove_member":
{ Args: { "p_user_id": string }; Returns: undefined
                           },
"renew_lease":
{ Args: { "p_end_date"?: string,"p_lease_id": string,"p_rent_minor"?: number }; Returns: {
              "balance_minor": number,
"created_at": string,
"currency": string,
"deposit_minor": number,
"due_day": number,
"end_date": string | null,
"grace_days": number,
"id": string,
"late_fee_minor": number,
"late_fee_posted_period": string | null,
"org_id": string,
"previous_lease_id": string | null,
"rent_minor": number,
"rent_posted_period": string | null,
"start_date": string,
"status": string,
"unit_id": string,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "leases"
        isOneToOne: true
        isSetofReturn: false
      } },
"resend_invitation":
{ Args: { "p_invitation_id": string }; Returns: Json
                           },
"run_rent_now":
{ Args: Record<PropertyKey, never>; Returns: {
              "attempts": number,
"charged_lease_ids": (string)[],
"error": string | null,
"error_code": string | null,
"finished_at": string | null,
"id": string,
"late_fee_entries": number,
"local_date": string,
"org_id": string,
"queued_at": string,
"rent_entries": number,
"requested_by": string | null,
"runner_pid": number | null,
"runner_started_at": string | null,
"source": string,
"started_at": string | null,
"status": string
            }
                          SetofOptions: {
        from: "*"
        to: "rent_runs"
        isOneToOne: true
        isSetofReturn: false
      } },
"set_active_org":
{ Args: { "p_org_id": string }; Returns: Json
                           },
"start_payment":
{ Args: { "p_amount_minor"?: number,"p_client_key"?: string,"p_lease_id"?: string }; Returns: Json
                           },
"sync_payment_intent":
{ Args: { "p_account": string,"p_payment_intent": Json }; Returns: Json
                           },
"team_members":
{ Args: Record<PropertyKey, never>; Returns: {
              "email": string,"full_name": string,"joined_at": string,"last_sign_in_at": string,"role": string,"user_id": string
            }[]
                           },
"verify_cron_secret":
{ Args: { "p_secret": string }; Returns: boolean
                           }
          }
          Enums: {
            [_ in never]: never
          }
          CompositeTypes: {
            [_ in never]: never
          }
        }
}

type DatabaseWithoutInternals = Omit<Database, '__InternalSupabase'>

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
  ? (DefaultSchema["Tables"] & DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
      Row: infer R
    }
    ? R
    : never
  : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
  ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Insert: infer I
    }
    ? I
    : never
  : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
  ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Update: infer U
    }
    ? U
    : never
  : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never = never
> = DefaultSchemaEnumNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
  ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
  : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never = never
> = PublicCompositeTypeNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
  ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
  : never

export const Constants = {
  "public": {
          Enums: {
            
          }
        }
} as const
